// RagdEmbedding: see the module's files
