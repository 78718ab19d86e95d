"""A throwaway PostgreSQL cluster for the tests: storyboard.devstack's, which `make team` starts too
(one place for how it is made and stopped).

    with PostgresServer() as server:
        url = server.create_database("t1")      # postgresql+psycopg://...
        url = server.create_database("t2", template="t1")
"""

from storyboard.devstack import PASSWORD, USER, PostgresServer

__all__ = ["PASSWORD", "USER", "PostgresServer"]
