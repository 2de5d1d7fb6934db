"""Staff console (issue 7): sqladmin views over the directory and content tables.

Kept import-light: `bot.web.admin.models` is imported by Alembic and the action server,
which must not pull in sqladmin. The console itself is built in `bot.web.admin.console`.
"""
