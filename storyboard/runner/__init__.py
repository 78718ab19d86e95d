"""The job runner, in parts: admission (may this take be made, and its row), the driver (one job's
steps: upload, submit, follow, download), the executor (threads that run drivers), the registry
(which client serves which job) and the policies (retries and the poll plan).
`storyboard.jobs.JobRunner` puts them together for the pages."""
