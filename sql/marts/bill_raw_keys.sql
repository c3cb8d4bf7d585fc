SELECT DISTINCT source_format, unnest(map_keys(tags)) AS raw_key
FROM attr_lines
