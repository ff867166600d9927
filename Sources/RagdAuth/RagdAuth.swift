// RagdAuth: see the module's files
