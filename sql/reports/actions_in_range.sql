SELECT count(*) FROM cost_actions WHERE acted_at >= $from AND acted_at < $to
