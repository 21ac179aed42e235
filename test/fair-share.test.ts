/**
 * The rules of the device's fair share between read streams (lib/fair-share.ts) and how the memory
 * budget applies them (lib/memory-budget.ts), on the counts alone. What they do with a real device is
 * stream-scale.test.ts's fairness case: 16 streams from one disk, each within 0.8-1.25x of the median.
 */
import { describe, expect, it } from 'vitest';
import { Account, FairShare, LEAD } from '../lib/fair-share';
import { MemoryBudget } from '../lib/memory-budget';

const MiB = 1024 * 1024;

describe('FairShare', () => {
  it('lets a stream alone request without limit: it is its own floor', () => {
    const fair = new FairShare();
    const alone = new Account();
    for (let i = 0; i < 100; i++) {
      expect(fair.mayRequest(alone)).toBe(true);
      fair.requested(alone, MiB);
    }
    expect(alone.requested).toBe(100 * MiB);
  });

  it('holds a busy stream back once it is more than LEAD ahead of the busy stream that requested least, until that one moves up', () => {
    const fair = new FairShare();
    const ahead = new Account();
    const behind = new Account();
    fair.requested(behind, MiB);
    while (fair.mayRequest(ahead)) fair.requested(ahead, MiB);
    // It may request while at most LEAD ahead, so it stops one request past that.
    expect(ahead.requested).toBe(MiB + LEAD + MiB);
    // Requests completing ahead change nothing; the floor moving up does, and says so.
    expect(fair.settled(ahead)).toBe(false);
    expect(fair.mayRequest(ahead)).toBe(false);
    expect(fair.requested(behind, MiB)).toBe(true);
    expect(fair.mayRequest(ahead)).toBe(true);
  });

  it('lets a stream with nothing at the device hold nobody back, and starts it at the floor when it sends again (idle time earns no credit)', () => {
    const fair = new FairShare();
    const fast = new Account();
    const slow = new Account();
    fair.requested(slow, 64 * 1024);
    fair.requested(fast, LEAD + 2 * MiB);
    expect(fair.mayRequest(fast)).toBe(false);
    // The slow stream's one request completes and it sends no more (its consumer is slow): the floor
    // is now the fast stream itself.
    expect(fair.settled(slow)).toBe(true);
    expect(fair.mayRequest(fast)).toBe(true);
    fair.requested(fast, 10 * MiB);
    // Sending again, the slow stream starts level with the floor, not 16 MiB behind it.
    fair.requested(slow, 64 * 1024);
    expect(slow.requested).toBe(fast.requested + 64 * 1024);
    expect(fair.mayRequest(fast)).toBe(true);
  });
});

describe('MemoryBudget with the fair share', () => {
  it('refuses a stream ahead of the floor that holds bytes, grants it the exemption when it holds none, and wakes it when the floor rises', () => {
    const budget = new MemoryBudget(1024 * MiB);
    const ahead = budget.join();
    const behind = budget.join();
    expect(budget.tryTake(MiB, 0, behind)).toBe(true);
    let held = 0;
    while (budget.tryTake(MiB, held, ahead)) held += MiB;
    expect(held).toBe(LEAD + MiB);
    expect(budget.hasRoom(ahead)).toBe(false);
    // A stream holding nothing may always make a request: nothing waits for ever.
    expect(budget.tryTake(64 * 1024, 0, ahead)).toBe(true);
    let woken = 0;
    budget.waitTurn(() => woken++, ahead);
    budget.give(MiB); // bytes back, but no room in the fair share: still waiting
    expect(woken).toBe(0);
    // The stream behind sends more, past the one ahead: the floor rises and the waiting one gets its turn, once.
    expect(budget.tryTake(8 * MiB, MiB, behind)).toBe(true);
    expect(woken).toBe(1);
    budget.settled(behind);
    expect(woken).toBe(1);
  });

  it('still refuses any stream holding bytes once the budget is spent, whatever its share', () => {
    const budget = new MemoryBudget(2 * MiB);
    const one = budget.join();
    expect(budget.tryTake(2 * MiB, 0, one)).toBe(true);
    expect(budget.hasRoom(one)).toBe(false);
    expect(budget.tryTake(64 * 1024, 2 * MiB, one)).toBe(false);
    let woken = 0;
    budget.waitTurn(() => woken++, one);
    budget.give(MiB);
    expect(woken).toBe(1);
  });
});
