import { describe, expect, it } from 'vitest';
import { detectRateStep, parseLoadCsv, rateAt } from './load.js';
import { parseTraceCsv } from './trace.js';

describe('trace CSV through a CSV parser', () => {
  it('reads quoted cells and headers as Grafana exports them, with CRLF line ends', () => {
    const text = '"time","replicas","request_queue_depth"\r\n"0","2","1.5"\r\n"15","2","30"\r\n';
    expect(parseTraceCsv(text).points).toEqual([
      { time: 0, replicas: 2, values: { request_queue_depth: 1.5 } },
      { time: 15, replicas: 2, values: { request_queue_depth: 30 } },
    ]);
  });

  it('rejects times out of order or repeated, naming both lines', () => {
    expect(() => parseTraceCsv('time,q\n0,1\n15,2\n10,3\n')).toThrow(
      'trace CSV line 4: time 10 is before the time 15 of line 3 (times must strictly increase)',
    );
    expect(() => parseTraceCsv('# c\ntime,q\n0,1\n0,2\n')).toThrow(
      'trace CSV line 4: time 0 repeats the time 0 of line 3',
    );
  });

  it('rejects unknown and repeated columns, extra cells and broken quotes', () => {
    expect(() => parseTraceCsv('time,queue depth\n0,1\n')).toThrow(
      /line 1: column 2 "queue depth" is not a known column/,
    );
    expect(() => parseTraceCsv('time,q,q\n0,1,2\n')).toThrow(/column "q" appears twice/);
    expect(() => parseTraceCsv('time,q,each:q\n0,1,2\n')).toThrow(/metric "q" appears twice/);
    expect(() => parseTraceCsv('time,q\n0,1,2\n')).toThrow(
      'trace CSV line 2: 3 cells but the header has 2 columns',
    );
    expect(() => parseTraceCsv('time,q\n0,"1\n')).toThrow(/^trace CSV line \d+: /);
    expect(() => parseTraceCsv('time,q\n0,1\n5,"x"\n')).toThrow(
      'trace CSV line 3, column "q": "x" is not a number',
    );
  });
});

describe('load CSV', () => {
  const load = parseLoadCsv('# step\ntime,rps\n0,100\n60,"400"\n120,400\n');

  it('reads a step function of the offered rate', () => {
    expect(load.points).toEqual([
      { time: 0, rps: 100 },
      { time: 60, rps: 400 },
      { time: 120, rps: 400 },
    ]);
    expect(rateAt(load, 59.9)).toBe(100);
    expect(rateAt(load, 60)).toBe(400);
    expect(detectRateStep(load)).toBe(60);
  });

  it('names the problem', () => {
    expect(() => parseLoadCsv('time,load\n0,1\n9,1\n')).toThrow(
      'load CSV line 1: expected the columns "time,rps" (requests per second offered to the service), found "time,load"',
    );
    expect(() => parseLoadCsv('time,rps\n0,-1\n9,1\n')).toThrow(
      'load CSV line 2, column "rps": -1 is below 0',
    );
    expect(() => parseLoadCsv('time,rps\n0,1\n')).toThrow(/one row gives no duration/);
    expect(() => parseLoadCsv('time,rps\n0,1\n0,2\n')).toThrow(/line 3: time 0 repeats/);
  });
});
