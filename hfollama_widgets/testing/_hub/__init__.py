"""FakeHub's route modules: HTTP plumbing, API, file and registry routes."""
