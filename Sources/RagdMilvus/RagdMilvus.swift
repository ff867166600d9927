// RagdMilvus: see the module's files
