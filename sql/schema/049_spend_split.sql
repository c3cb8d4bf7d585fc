-- How a group's spend splits, the one definition for repository costs and tag chargeback:
-- gross usage, each adjustment class and the net. Used as `unnest(spend_split(cost,
-- charge_class))` in a grouped SELECT, which gives these six columns.
CREATE OR REPLACE MACRO spend_split(cost, charge_class) AS struct_pack(
    gross_cost := coalesce(sum(cost) FILTER (WHERE charge_class = 'usage'), 0),
    credits := coalesce(sum(cost) FILTER (WHERE charge_class = 'credit'), 0),
    discounts := coalesce(sum(cost) FILTER (WHERE charge_class = 'discount'), 0),
    tax := coalesce(sum(cost) FILTER (WHERE charge_class = 'tax'), 0),
    other_adjustments := coalesce(sum(cost) FILTER (WHERE charge_class = 'other_adjustment'), 0),
    net_cost := sum(cost)
)
