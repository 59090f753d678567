/**
 * The import cannot go on as asked; nothing more is written. Each names what to do about it. A
 * failure of the database or the disk is not one of these: it is rethrown as it is, and the import
 * resumes from its last committed batch when run again with the same id.
 */
export class ImportRefusedError extends Error {
  override readonly name: string = 'ImportRefusedError';
}

/** The file cannot be imported as it is: an unusable CSV header, a record that never ends. */
export class ImportFileError extends ImportRefusedError {
  override readonly name: string = 'ImportFileError';
}

/** The import id was used for another file, or the file changed since the import began. */
export class ImportMismatchError extends ImportRefusedError {
  override readonly name = 'ImportMismatchError';
}

/** Another process is running this import now. */
export class ImportBusyError extends ImportRefusedError {
  override readonly name = 'ImportBusyError';
  constructor(importId: string) {
    super(`import ${importId} is being run by another process; wait for it, or stop it first`);
  }
}
