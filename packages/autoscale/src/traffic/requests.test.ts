import { describe, expect, it } from 'vitest';
import { readLoad } from './requests.js';

const azure = [
  'TIMESTAMP,ContextTokens,GeneratedTokens',
  '2023-11-16 18:15:46.6805900,374,44',
  '2023-11-16 18:15:47.0000000,396,109',
  '2023-11-16 18:15:55.2224670,879,55',
  '2023-11-16 18:15:57.3910170,91,16',
  '2023-11-16 18:16:06.0000000,91,16',
].join('\n');

describe('request-level traces', () => {
  it('bins an Azure trace from its first request, and says how', () => {
    const read = readLoad(azure, { binSeconds: 10 });
    // requests at 0, 0.32, 8.54, 10.71, 19.32 s after the first
    expect(read.load.points).toEqual([
      { time: 0, rps: 0.3 },
      { time: 10, rps: 0.2 },
      { time: 20, rps: 0.2 },
    ]);
    expect(read.requests).toBe(5);
    expect(read.description).toBe(
      "Azure LLM inference trace, dates: 5 requests counted in 10 s bins, each bin's count ÷ 10 s as its rate",
    );
  });

  it('reads the Azure timestamps to the microsecond, as UTC', () => {
    const read = readLoad(azure, { binSeconds: 0.5, to: 1 });
    expect(read.load.points.slice(0, 2)).toEqual([
      { time: 0, rps: 4 },
      { time: 0.5, rps: 0 },
    ]);
  });

  it('scales rates and time, and cuts a window that starts at 0', () => {
    const read = readLoad(azure, { binSeconds: 5, from: 5, to: 15, rateScale: 10, timeScale: 2 });
    // window [5, 15): 8.54 and 10.71 → bins [5,10) and [10,15) of one request each
    expect(read.load.points).toEqual([
      { time: 0, rps: 2 },
      { time: 10, rps: 2 },
      { time: 20, rps: 2 },
    ]);
    expect(read.requests).toBe(2);
    expect(read.description).toContain('window 5 s to 15 s of the trace, time ×2, rates ×10');
  });

  it('reads BurstGPT (seconds from the start) and logs of epoch milliseconds, out of order', () => {
    const burst = readLoad(
      'Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n5,ChatGPT,1,2,3,Conversation log\n6,ChatGPT,1,2,3,Conversation log\n',
      { binSeconds: 1 },
    );
    expect(burst.format).toBe('BurstGPT trace, epoch seconds');
    expect(burst.load.points).toEqual([
      { time: 0, rps: 1 },
      { time: 1, rps: 1 },
      { time: 2, rps: 1 },
    ]);
    const log = readLoad(
      'ts,path,status\n1700000001500,/predict,200\n1700000000000,/predict,200\n',
      {
        binSeconds: 1,
      },
    );
    expect(log.format).toBe('request log (column "ts"), epoch milliseconds');
    expect(log.load.points.map((p) => p.rps)).toEqual([1, 1, 1]);
  });

  it('still reads rate traces, with the window and scales', () => {
    const read = readLoad('time,rps\n0,100\n60,400\n120,400\n', { from: 30, to: 90, rateScale: 2 });
    expect(read.load.points).toEqual([
      { time: 0, rps: 200 },
      { time: 30, rps: 800 },
      { time: 60, rps: 800 },
    ]);
  });

  it('names the line of a bad time and the header it expected', () => {
    expect(() => readLoad('timestamp\n1700000000\nsoon\n')).toThrow(
      'line 3, column "timestamp": "soon" is not a number but the rows above are numbers',
    );
    expect(() => readLoad('timestamp\n2023-11-16 18:15:46\nnot a date\n')).toThrow(
      'line 3, column "timestamp": "not a date" is not a time',
    );
    expect(() => readLoad('when,who\n1,2\n')).toThrow(
      /line 1: expected "time,rps" \(a rate trace\) or a request-level trace/,
    );
    expect(() => readLoad('timestamp\n')).toThrow('a header but no requests');
    expect(() => readLoad(azure, { from: 100 })).toThrow(
      /the window starts at 100 s, after the trace's last request/,
    );
    expect(() => readLoad(azure, { from: 10, to: 5 })).toThrow(
      '--to (5 s) must be after --from (10 s)',
    );
    expect(() => readLoad(azure, { binSeconds: 0 })).toThrow('the bin must be > 0');
  });
});
