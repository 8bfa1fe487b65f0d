"""Projects, members, tasks, comments, attachments and the activity feed.

Domain modules (``projects``, ``members``, ``tasks``, ``comments``,
``attachments``) hold the rules and write inside one transaction together
with the events they cause; ``resources`` parse HTTP, call them and render.

Lists are scoped in SQL by membership (``lookups``; staff see everything)
and rendered a page at a time (``representation``), so each list runs a
fixed number of queries whatever the page size (after the one query that
authenticates the caller):

* ``GET /api/projects/``: count, page (owner joined), members of the page,
  task counts of the page: 4.
* ``GET /api/tasks/``: count, page (project and creator joined), assignees,
  comment counts, attachment counts of the page: 5.
* ``GET /api/tasks/{id}/comments/`` and ``/attachments/``: the task and the
  caller's role, then count and page (author/uploader joined): 4.
* ``GET /api/projects/{id}/activities/``: the project and the caller's role,
  then count, page and the page's actors: 5.
"""
