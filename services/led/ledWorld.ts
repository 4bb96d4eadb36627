import type { ActorSpec } from "../../shared/actor/actor.ts";
import type { Scenario } from "../../shared/scenario/scenarioSchema.ts";
import { gpioControllerActor } from "./gpioController.ts";
import { ledDriverActor } from "./ledDriver.ts";

/** Does the scenario talk to the LED device (any step on a `led.…` path)? Then its actors join the world. */
export function scenarioUsesLed(scenario: Pick<Scenario, "steps">): boolean {
  return scenario.steps.some((s) => s.path === "led" || s.path.startsWith("led."));
}

/** The LED tutorial's actors in hosting order: the GPIO bank (hardware), then its driver. */
export function ledActors(): ActorSpec[] {
  return [gpioControllerActor(), ledDriverActor()];
}
