/** The single-user cloud pairing file (rmapi.conf at RMAPI_CONFIG_PATH), read-only. */
export interface PairingFileSource {
  /** The file's text; null when there is no such file or it is blank. Throws when it cannot be read. */
  read(): Promise<string | null>;
}
