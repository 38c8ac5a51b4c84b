/** Bad input from the user (unknown model, bad flag, file that does not load): exit code 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
