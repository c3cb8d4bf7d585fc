SELECT count(*) FROM policy_actions WHERE status = 'done' AND acted_at >= $from AND acted_at < $to
