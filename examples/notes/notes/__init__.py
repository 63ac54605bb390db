"""The notes service: CRUD on a store component (sqlite3 by default, PostgreSQL with DATABASE_URL)."""
