-- Every allocated row once per reported key, with its value (NULL: the row lacks the key).
CREATE OR REPLACE TEMP TABLE attr_tag_rows AS
WITH keys AS (
    SELECT DISTINCT tag_key FROM attr_line_tags
    UNION
    SELECT unnest($report_keys::VARCHAR[])
)
SELECT k.tag_key, a.row_id, a.account_id, a.region, a.repository_name, a.charge_class,
    a.usage_category, a.cost, a.estimated, t.tag_value, t.tag_source
FROM keys AS k
CROSS JOIN attr_alloc AS a
LEFT JOIN attr_line_tags AS t ON t.row_id = a.row_id AND t.tag_key = k.tag_key
