import { describe, expect, it } from "vitest";
import { csifInfoFromFirmware } from "../../../shared/gpu/gpuInfo.ts";
import { buildJobWrapper, wordsToBytes } from "../../firmware/index.ts";
import { jobWrapperBytes, jobWrapperWords } from "./jobWrapper.ts";

const csif = csifInfoFromFirmware({ group_num: 8, stream_num: 2, cs_reg_count: 96, scoreboard_slot_count: 8 });
const job = { streamAddr: 0x10_0000, streamSize: 96, latestFlush: 0, syncAddr: 0x20_0010 };
const encoded = (j: typeof job) =>
  wordsToBytes(buildJobWrapper({ ...j, csif: { csRegCount: csif.cs_reg_count, unpreservedCsRegCount: csif.unpreserved_cs_reg_count, scoreboardSlotCount: csif.scoreboard_slot_count } }));

describe("job wrapper memo (prepare_job_instrs)", () => {
  it("gives the bytes the firmware model encodes, on the first call and on every later one", () => {
    expect(jobWrapperBytes(csif, job)).toEqual(encoded(job));
    expect(jobWrapperBytes(csif, { ...job })).toEqual(encoded(job));
    const other = { ...job, syncAddr: 0x20_0020, latestFlush: 7 };
    expect(jobWrapperBytes(csif, other)).toEqual(encoded(other));
  });

  it("counts a job's credits as its wrapper's words: 16, and 0 for a stream-less sync point", () => {
    expect(jobWrapperWords(csif, job)).toBe(16);
    expect(jobWrapperWords(csif, { ...job, streamAddr: 0, streamSize: 0 })).toBe(0);
  });

  it("throws every time for a value that does not fit its instruction, rather than remembering a failure", () => {
    const huge = { ...job, streamAddr: 2 ** 48 };
    expect(() => jobWrapperBytes(csif, huge)).toThrow(RangeError);
    expect(() => jobWrapperBytes(csif, huge)).toThrow(RangeError);
  });
});
