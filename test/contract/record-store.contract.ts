// The suite ships in the package (aviary-backup/testing); this path keeps the repository's tests unchanged.
export * from '../../src/testing/database.contract';
