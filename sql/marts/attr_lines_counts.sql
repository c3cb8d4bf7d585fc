SELECT coalesce(sum(line_count), 0) AS lines,
    coalesce(sum(line_count) FILTER (WHERE repository_name IS NOT NULL), 0) AS with_resource_id
FROM attr_lines
