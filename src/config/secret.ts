// A secret value from the config that never prints itself: logs, JSON and errors see "<secret>".

const hidden = new WeakMap<Secret, string>();

export class Secret {
  constructor(value: string) {
    hidden.set(this, value);
  }

  /** The real value, for the one place that sends it on the wire. */
  reveal(): string {
    return hidden.get(this) ?? '';
  }

  toString(): string {
    return '<secret>';
  }

  toJSON(): string {
    return '<secret>';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '<secret>';
  }
}
