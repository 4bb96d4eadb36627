import { describe, expect, it } from "vitest";
import { applyGpioWrite, GPIO_RESET, hiwordWrite, inputLevel, intStatus, type GpioBank } from "./gpioRegs.ts";
import { bitWrite } from "./ledProbe.ts";

const LED = 5;
const BTN = 6;

/** A bank as led_probe() leaves it: LED line an output driven low, button line an edge-triggered rising input. */
function probed(): GpioBank {
  let b = GPIO_RESET;
  for (const [reg, v] of [
    ["SWPORT_DDR_L", bitWrite(LED, true)], ["INT_TYPE_L", bitWrite(BTN, true)], ["INT_POLARITY_L", bitWrite(BTN, true)], ["INT_EN_L", bitWrite(BTN, true)],
  ] as const) b = applyGpioWrite(b, reg, v).bank;
  return b;
}

describe("the Rockchip GPIO bank model", () => {
  it("changes only the bits a hiword-masked write selects", () => {
    expect(hiwordWrite(0b1010, (0b0011 << 16) | 0b0001)).toBe(0b1001);
    expect(hiwordWrite(0xffff, 0x0000_0000)).toBe(0xffff);
  });

  it("reports the LED line's level change when its data bit is written, and nothing when the level stays", () => {
    const b = probed();
    const on = applyGpioWrite(b, "SWPORT_DR_L", bitWrite(LED, true));
    expect(on.changes).toEqual([{ line: LED, level: 1 }]);
    expect(applyGpioWrite(on.bank, "SWPORT_DR_L", bitWrite(LED, true)).changes).toEqual([]);
    expect(applyGpioWrite(on.bank, "SWPORT_DR_L", bitWrite(LED, false)).changes).toEqual([{ line: LED, level: 0 }]);
  });

  it("drives nothing on a line that is still an input", () => {
    expect(applyGpioWrite(GPIO_RESET, "SWPORT_DR_L", bitWrite(LED, true)).changes).toEqual([]);
  });

  it("latches a rising edge on an enabled input and raises once until the EOI clears it", () => {
    const b = probed();
    const press = inputLevel(b, BTN, 1);
    expect(press.raised).toBe(true);
    expect(intStatus(press.bank)).toBe(1 << BTN);
    // a second press before the handler acknowledged merges with the first
    const again = inputLevel(inputLevel(press.bank, BTN, 0).bank, BTN, 1);
    expect(again.raised).toBe(false);
    const acked = applyGpioWrite(again.bank, "PORT_EOI_L", bitWrite(BTN, true)).bank;
    expect(intStatus(acked)).toBe(0);
    expect(inputLevel(inputLevel(acked, BTN, 0).bank, BTN, 1).raised).toBe(true);
  });

  it("ignores falling edges, disabled interrupts and masked lines", () => {
    const b = inputLevel(probed(), BTN, 1).bank;
    const cleared = applyGpioWrite(b, "PORT_EOI_L", bitWrite(BTN, true)).bank;
    expect(inputLevel(cleared, BTN, 0).raised).toBe(false);
    expect(inputLevel(GPIO_RESET, BTN, 1).raised).toBe(false);
    const masked = applyGpioWrite(probed(), "INT_MASK_L", bitWrite(BTN, true)).bank;
    const r = inputLevel(masked, BTN, 1);
    expect(r.raised).toBe(false);
    expect(r.bank.rawStatus).toBe(1 << BTN);
  });
});
