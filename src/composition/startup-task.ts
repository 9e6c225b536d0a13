/** Runs once per boot after the first admin exists (e.g. the single-user → multi-user migration). */
export type StartupTask = (context: { readonly firstAdminCreated: boolean }) => Promise<void>;
