/**
 * The register file of one bank of a Rockchip GPIO controller (version 2, `gpio-rockchip.c` as on
 * the RK3588), lines 0–15 (the `_L` registers), as pure functions: what a register write does to
 * the bank, and what an edge on an input line does. The actor in `gpioController.ts` wraps them.
 *
 * Every `_L` register is "hiword-masked" as Rockchip's are: bits 31:16 of a written value say
 * which of bits 15:0 the write changes (`rockchip_gpio_writel_bit()` writes
 * `BIT(bit + 16) | (value << bit)`), so a driver can flip one line without a read-modify-write.
 *
 * Simplified: only the `_L` half (16 lines); no debounce, no both-edge mode, no level-triggered
 * interrupts (the tutorial's button is edge-triggered); INT_STATUS is RAWSTATUS & ~MASK.
 */
export const GPIO_REGS = {
  /** Output data: the level driven on each output line. */
  SWPORT_DR_L: 0x00,
  /** Direction: 1 = output. */
  SWPORT_DDR_L: 0x08,
  /** Interrupt enable per line. */
  INT_EN_L: 0x10,
  /** Interrupt mask per line (1 = masked: latched but not signalled). */
  INT_MASK_L: 0x18,
  /** Interrupt type: 1 = edge, 0 = level. */
  INT_TYPE_L: 0x20,
  /** Polarity: 1 = rising edge / active high. */
  INT_POLARITY_L: 0x28,
  /** End of interrupt: write 1 to clear a latched edge. */
  PORT_EOI_L: 0x60,
} as const;

/** A writable register of the bank, by the name the TRM and `gpio-rockchip.c` use. */
export type GpioReg = keyof typeof GPIO_REGS;
/** The register names, for the event schema. */
export const GPIO_REG_NAMES = Object.keys(GPIO_REGS) as [GpioReg, ...GpioReg[]];

/** The state of one bank: the registers, the latched interrupt bits and the input levels. */
export interface GpioBank {
  readonly dr: number;
  readonly ddr: number;
  readonly intEn: number;
  readonly intMask: number;
  readonly intType: number;
  readonly intPolarity: number;
  /** INT_RAWSTATUS: edges latched and not yet acknowledged through PORT_EOI. */
  readonly rawStatus: number;
  /** EXT_PORT: the level seen on each line. */
  readonly ext: number;
}

/** A bank out of reset: every line an input, no interrupts. */
export const GPIO_RESET: GpioBank = { dr: 0, ddr: 0, intEn: 0, intMask: 0, intType: 0, intPolarity: 0, rawStatus: 0, ext: 0 };

/** A line whose driven level changed. */
export interface OutputChange {
  readonly line: number;
  readonly level: 0 | 1;
}

/** Apply a hiword-masked write: bits 31:16 select which of bits 15:0 change. */
export function hiwordWrite(old: number, value: number): number {
  const mask = (value >>> 16) & 0xffff;
  return ((old & ~mask) | (value & mask)) & 0xffff;
}

/** The level each output line drives (inputs drive nothing: 0 here). */
const driven = (b: GpioBank): number => b.dr & b.ddr;

/** Lines whose driven level differs between two banks, lowest first. */
function outputChanges(before: GpioBank, after: GpioBank): OutputChange[] {
  const diff = driven(before) ^ driven(after);
  const out: OutputChange[] = [];
  for (let line = 0; line < 16; line++) {
    if ((diff & (1 << line)) !== 0) out.push({ line, level: (driven(after) >> line) & 1 ? 1 : 0 });
  }
  return out;
}

/** The interrupt bits the bank signals to the interrupt controller (INT_STATUS). */
export function intStatus(b: GpioBank): number {
  return b.rawStatus & ~b.intMask & b.intEn & 0xffff;
}

/** What a register write does: the new bank and the output lines whose level changed. */
export function applyGpioWrite(bank: GpioBank, reg: GpioReg, value: number): { bank: GpioBank; changes: OutputChange[] } {
  let next: GpioBank;
  switch (reg) {
    case "SWPORT_DR_L":
      next = { ...bank, dr: hiwordWrite(bank.dr, value) };
      break;
    case "SWPORT_DDR_L":
      next = { ...bank, ddr: hiwordWrite(bank.ddr, value) };
      break;
    case "INT_EN_L":
      next = { ...bank, intEn: hiwordWrite(bank.intEn, value) };
      break;
    case "INT_MASK_L":
      next = { ...bank, intMask: hiwordWrite(bank.intMask, value) };
      break;
    case "INT_TYPE_L":
      next = { ...bank, intType: hiwordWrite(bank.intType, value) };
      break;
    case "INT_POLARITY_L":
      next = { ...bank, intPolarity: hiwordWrite(bank.intPolarity, value) };
      break;
    case "PORT_EOI_L":
      // Write-1-to-clear, hiword-masked like the rest: only selected bits written as 1 clear.
      next = { ...bank, rawStatus: bank.rawStatus & ~(value & (value >>> 16)) & 0xffff };
      break;
  }
  return { bank: next, changes: outputChanges(bank, next) };
}

/**
 * The level seen on input `line` becomes `level`. An edge of the configured polarity on a line
 * with its interrupt enabled and edge-typed latches its RAWSTATUS bit; `raised` says whether that
 * made the bank's interrupt newly pending (an edge while the bit is still latched merges with it,
 * as on hardware: one interrupt for two presses the handler has not acknowledged yet).
 */
export function inputLevel(bank: GpioBank, line: number, level: 0 | 1): { bank: GpioBank; raised: boolean } {
  const bit = 1 << line;
  const was = (bank.ext & bit) !== 0 ? 1 : 0;
  const ext = level === 1 ? bank.ext | bit : bank.ext & ~bit;
  let next: GpioBank = { ...bank, ext };
  const isInput = (bank.ddr & bit) === 0;
  const edgeTyped = (bank.intType & bit) !== 0 && (bank.intEn & bit) !== 0;
  const rising = (bank.intPolarity & bit) !== 0;
  const matches = was !== level && (rising ? level === 1 : level === 0);
  if (!isInput || !edgeTyped || !matches) return { bank: next, raised: false };
  const pendingBefore = intStatus(bank) & bit;
  next = { ...next, rawStatus: next.rawStatus | bit };
  return { bank: next, raised: pendingBefore === 0 && (intStatus(next) & bit) !== 0 };
}
