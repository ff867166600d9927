// RagdText: see the module's files
