"""An S3 emulator (moto's standalone server) on 127.0.0.1 for the media tests and
bench.download_memory's bucket figure: storyboard.devstack's, which `make team` starts too. Its own
process, so the objects it keeps in memory never count towards the memory of the process under test.

    with S3Server() as s3:
        s3.make_bucket("takes")
        env = s3.env("takes", "team-a")  # STORYBOARD_MEDIA_URL, STORYBOARD_S3_ENDPOINT_URL, AWS_*
"""

from storyboard.devstack import CREDENTIALS, S3Server

__all__ = ["CREDENTIALS", "S3Server"]
