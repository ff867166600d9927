// RagdStore: see the module's files
