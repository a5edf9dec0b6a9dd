"""The forum's web pages (Starlette routes rendering Jinja2 templates).

One module per audience: ``pages`` (what citizens read and write), ``account`` (sign-in,
profile, two-factor authentication, data rights), ``admin`` (reference data and accounts),
``agency`` (the officials' desk, reports, accountability, notifications) and ``manage``
(consultation management). ``kit`` is the shared request/response plumbing every page (and
every plugin's page) goes through: the ``view`` wrapper, ``Ctx``, sessions, CSRF, security
headers and the page cache."""
