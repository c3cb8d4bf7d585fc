-- The actions that change what the bill charges (a policy applied or restored, a repository
-- deleted), done: the ones realized savings judge, and the only ones that make a repository
-- "touched" (pinning an image adds a tag and costs nothing).
CREATE OR REPLACE VIEW cost_actions AS
SELECT *
FROM policy_actions
WHERE status = 'done'
    AND action IN ('policy_applied', 'policy_restored', 'repository_deleted')
