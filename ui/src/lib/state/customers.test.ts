import { describe, expect, it } from "vitest";
import type { CustomerItem } from "../bindings";
import { CustomerList, PAGE } from "./customers.svelte";

const customer = (id: number): CustomerItem => ({ id, name: `Customer ${id}`, default_zone: "UTC", license_count: 1 }) as CustomerItem;

/** A catalogue of `n` customers, answering pages like the shell (names filtered by a prefix). */
function catalogue(n: number) {
  const all = Array.from({ length: n }, (_, i) => customer(i + 1));
  const asked: [string, number][] = [];
  const page = async (filter: string, offset: number, limit: number) => {
    asked.push([filter, offset]);
    const matching = all.filter((c) => c.name.startsWith(filter));
    return { status: "ok" as const, data: { items: matching.slice(offset, offset + limit), total: matching.length } };
  };
  return { page: page as never, asked };
}

describe("the customer list", () => {
  it("pages through a large catalogue and stops at the end", async () => {
    const { page, asked } = catalogue(250);
    const list = new CustomerList();
    await list.load(true, page);
    expect([list.items.length, list.total]).toEqual([PAGE, 250]);
    await list.load(false, page);
    await list.load(false, page);
    expect(list.items.length).toBe(250);
    await list.load(false, page);
    expect(asked.length).toBe(3);
    expect(list.items.at(-1)?.id).toBe(250);
  });

  it("starts again when the filter changes, and an older answer arriving late is dropped", async () => {
    const { page } = catalogue(30);
    const list = new CustomerList();
    list.filter = "Customer 1";
    const slow = list.load(true, page);
    list.filter = "Customer 2";
    await Promise.all([slow, list.load(true, page)]);
    expect(list.items.every((c) => c.name.startsWith("Customer 2"))).toBe(true);
    expect(list.total).toBe(11);
  });

  it("says why a page could not be read", async () => {
    const list = new CustomerList();
    const failing = (async () => ({ status: "error", error: { type: "Storage", data: "disk I/O error" } })) as never;
    expect(await list.load(true, failing)).toBe("disk I/O error");
    expect(list.items).toEqual([]);
  });
});
