"""FakeOllama's route modules: HTTP plumbing, API, pull, chat, store, registry, faults."""
