/**
 * What `led_write()` makes of the bytes user space wrote: `kstrtobool()`'s rules — the first
 * character `1`/`y`/`Y` is on, `0`/`n`/`N` is off, `on`/`off` (any case) too; anything else
 * (and an empty write) is refused with -EINVAL. So `echo 1 > /dev/led` (which writes "1\n") works.
 */
export function parseLedValue(data: string): boolean | undefined {
  const c = data[0];
  if (c === "1" || c === "y" || c === "Y") return true;
  if (c === "0" || c === "n" || c === "N") return false;
  if (c === "o" || c === "O") {
    const d = data[1];
    if (d === "n" || d === "N") return true;
    if (d === "f" || d === "F") return false;
  }
  return undefined;
}
