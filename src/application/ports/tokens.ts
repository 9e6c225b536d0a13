/** Symbol tokens for the IoC container; the application itself never resolves them. */
export const TOKENS = {
  Config: Symbol.for('aviary.Config'),
  Logger: Symbol.for('aviary.Logger'),
  Clock: Symbol.for('aviary.Clock'),
  Ids: Symbol.for('aviary.IdGenerator'),
  PasswordHasher: Symbol.for('aviary.PasswordHasher'),
  Database: Symbol.for('aviary.DatabaseBackend'),
  RecordStore: Symbol.for('aviary.RecordStore'),
  AccountStore: Symbol.for('aviary.AccountStore'),
  BlobStore: Symbol.for('aviary.BlobStore'),
  Registry: Symbol.for('aviary.PluginRegistry'),
  Authenticator: Symbol.for('aviary.Authenticator'),
  ApiKeyTagger: Symbol.for('aviary.ApiKeyTagger'),
  EnsureFirstAdmin: Symbol.for('aviary.EnsureFirstAdmin'),
  FaultPoints: Symbol.for('aviary.FaultPoints'),
} as const;
