"""The store: drafts, takes, what deleted takes cost and the spending caps, in SQLite in the data
dir or in PostgreSQL (settings.database).

    store.py     the Store: drafts, takes, spend and caps read and written
    reviews.py   reviews of storyboards and takes, and their comments (store.reviews)
    people.py    the members of a team, their roles and caps, and the activity log (store.people)
    presence.py  who has a storyboard open now (store.presence)
    tables.py    the tables as the latest migration leaves them
    schema.py    upgrading a database: Alembic revisions in migrations/, and the SQLite files
                 made before Alembic (PRAGMA user_version)
    engines.py   an engine per database: SQLite's transactions and pragmas, PostgreSQL's pool
    problems.py  StorageProblem, and the sentence for each kind of failure
"""

from storyboard.store.problems import StorageProblem, problem_sentence
from storyboard.store.store import BILLABLE, CapRefused, DraftChanged, OpenedDraft, Store

__all__ = ["BILLABLE", "CapRefused", "DraftChanged", "OpenedDraft", "StorageProblem", "Store", "problem_sentence"]
