// Port of the file store. Keys are relative paths like "outputs/20261121/abc.jpg".

export interface BlobStore {
  put(key: string, data: Buffer, contentType?: string): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** Deletes every key under a prefix ("profiles/abc/"). */
  deletePrefix(prefix: string): Promise<void>;
  /**
   * A URL that downloads the blob directly from the store for `expiresInS` seconds (S3
   * pre-signed). Absent when the store cannot mint one: Likeness serves the file itself.
   */
  presignedUrl?(key: string, expiresInS: number): Promise<string>;
}
