// The compact editor's name field also takes the seats, so a shift is one line of typing:
// "India 100 seats" is the license "India" with 100 seats. Only a count followed by the word
// "seat" or "seats" at the end is read that way, so a name such as "Floor 3" or "Team 2 desk"
// stays as typed; the seats field shows what was read while the name is being typed. The
// engine still checks the seats (at least 1) when the license is saved.

/** What the name field says: the name to save, and the seats it names (or null). */
export interface NameAndSeats {
  name: string;
  seats: number | null;
}

// The name, an optional separator (",", "·", ":" or "-"), the count and the word; the count
// is at most seven digits so a number can never lose precision.
const trailingSeats = /^(.*?\S)[\s,·:-]*\s(\d{1,7})\s*seats?\s*$/iu;

/** Reads "India 100 seats" as { name: "India", seats: 100 }; anything else is a name alone. */
export function splitSeats(text: string): NameAndSeats {
  const found = trailingSeats.exec(text);
  const [, before, digits] = found ?? [];
  if (before === undefined || digits === undefined) return { name: text, seats: null };
  const name = before.replace(/[\s,·:-]+$/u, "");
  if (name.trim() === "") return { name: text, seats: null };
  return { name, seats: Number(digits) };
}
