"""The service faces: REST, gRPC and what they share (tasks, authentication, audit)."""
