import type { ActorBehaviour, ActorContext, ActorSpec } from "../../shared/actor/actor.ts";
import type { Envelope } from "../../shared/events/envelope.ts";
import { EventRegistry } from "../../shared/events/registry.ts";
import { applyGpioWrite, GPIO_RESET, inputLevel, intStatus, type GpioBank } from "./gpioRegs.ts";
import { LED_BOARD } from "./ledBoard.ts";
import { ButtonPressed, GpioIrqRaised, GpioOutputChanged, GpioWriteIssued } from "./ledEvents.ts";
import { LED_ACTORS, ledPaths } from "./ledPaths.ts";

/**
 * The GPIO bank as a hardware actor (`led.gpio`): register writes from the driver
 * (`GpioWriteIssued`) change the bank (`gpioRegs.ts`) and every change of a driven level is
 * published (`GpioOutputChanged` — the LED); a button press is a rising and a falling edge on the
 * button's input line, and an edge that latches a new interrupt raises `GpioIrqRaised` to the
 * driver. Writes and edges act in the instant they arrive (no bus latency modelled).
 */
export function gpioControllerActor(): ActorSpec {
  return {
    name: LED_ACTORS.gpio,
    subscribes: [ledPaths.gpioCmd, ledPaths.pin],
    create(ctx: ActorContext): ActorBehaviour {
      let bank: GpioBank = GPIO_RESET;
      const edge = (level: 0 | 1): void => {
        const r = inputLevel(bank, LED_BOARD.buttonLine, level);
        bank = r.bank;
        if (r.raised) ctx.publish(GpioIrqRaised, ledPaths.irq, { line: LED_BOARD.buttonLine, status: intStatus(bank) });
      };
      return {
        handle(e: Envelope) {
          if (EventRegistry.is(GpioWriteIssued, e)) {
            const r = applyGpioWrite(bank, e.payload.reg, e.payload.value);
            bank = r.bank;
            for (const c of r.changes) ctx.publish(GpioOutputChanged, ledPaths.out, c);
          } else if (EventRegistry.is(ButtonPressed, e)) {
            edge(1);
            edge(0);
          }
        },
        snapshot() {
          return { ...bank, intStatus: intStatus(bank) };
        },
      };
    },
  };
}
