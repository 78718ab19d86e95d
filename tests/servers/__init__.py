"""Real servers the tests start on 127.0.0.1 (an S3 emulator), one per test worker."""
