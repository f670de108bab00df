/**
 * Values one step produces for later steps of the same scenario. Reading one that no earlier step
 * produced throws an error naming what is missing and the step that produces it, so a feature that
 * forgot a step says how to fix it instead of failing on `undefined` somewhere deeper.
 */

function missing(what: string, producedBy: string): Error {
  return new Error(`no ${what} in this scenario; add "${producedBy}" before`);
}

/** One value of a scenario, e.g. the Calico export text. */
export class Produced<T> {
  private current: T | undefined;

  /** `what` names the value ("Calico export"); `producedBy` the step that produces it. */
  constructor(
    private readonly what: string,
    private readonly producedBy: string,
  ) {}

  set(value: T): void {
    this.current = value;
  }

  clear(): void {
    this.current = undefined;
  }

  has(): boolean {
    return this.current !== undefined;
  }

  /** The value; throws naming the step that produces it when no earlier step did. */
  get(): T {
    if (this.current === undefined) throw missing(this.what, this.producedBy);
    return this.current;
  }

  /** The value, or undefined, for steps that work with or without it. */
  peek(): T | undefined {
    return this.current;
  }
}

/** One value per name (an etcd, a snapshot label), e.g. the online migration result of etcd "source". */
export class ProducedByName<T> {
  private readonly values = new Map<string, T>();

  /** `what` names the value ("online migration result of etcd"); `producedBy` the step that produces it. */
  constructor(
    private readonly what: string,
    private readonly producedBy: string,
  ) {}

  set(name: string, value: T): void {
    this.values.set(name, value);
  }

  delete(name: string): void {
    this.values.delete(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  /** The value for `name`; throws naming the step that produces it when no earlier step did. */
  get(name: string): T {
    const value = this.values.get(name);
    if (value === undefined) throw missing(`${this.what} "${name}"`, this.producedBy);
    return value;
  }

  /** The value for `name`, or undefined, for steps that work with or without it. */
  peek(name: string): T | undefined {
    return this.values.get(name);
  }
}
