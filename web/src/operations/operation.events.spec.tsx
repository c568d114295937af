import { describe, expect, it } from 'vitest';
import type { Operation } from '../api/api.types';
import { applyOperationEvent, displayPercentage, isSetupPlaceholder } from './operation.events';

const base: Operation = {
  id: 'op1',
  collection_id: 'c1',
  type: 'index',
  status: 'pending',
  config: {},
  error_message: null,
  created_at: '2025-01-01T00:00:00Z',
  started_at: null,
  completed_at: null,
  progress: { total_files: 0, processed_files: 0, failed_files: 0, current_file: null, percentage: 0 },
  result: null,
};

describe('applyOperationEvent', () => {
  it('takes progress from data.progress and marks a pending operation as processing', () => {
    const next = applyOperationEvent(base, {
      type: 'progress',
      operation_id: 'op1',
      data: { progress: { total_files: 4, processed_files: 1, failed_files: 0, current_file: '/a.md', percentage: 25 } },
    });
    expect(next.status).toBe('processing');
    expect(next.progress?.current_file).toBe('/a.md');
    expect(displayPercentage(next)).toBe(25);
  });

  it('accepts a bare progress object as data', () => {
    const next = applyOperationEvent(base, { type: 'progress', operation_id: 'op1', data: { total_files: 10, processed_files: 5, failed_files: 1, percentage: 60 } });
    expect(next.progress).toMatchObject({ processed_files: 5, failed_files: 1 });
    expect(displayPercentage(next)).toBe(60);
  });

  it('ends the operation on a terminal event and keeps the failure message', () => {
    const failed = applyOperationEvent(base, { type: 'operation_failed', operation_id: 'op1', data: { error_message: 'Model not found' } });
    expect(failed).toMatchObject({ status: 'failed', error_message: 'Model not found' });
    const done = applyOperationEvent(base, { type: 'operation_completed', operation_id: 'op1', data: { operation: { ...base, status: 'completed' } } });
    expect(done.status).toBe('completed');
    expect(displayPercentage(done)).toBe(100);
  });
});

describe('isSetupPlaceholder', () => {
  it("recognises only the create's file-less initial operation (config.initial), not a real index", () => {
    expect(isSetupPlaceholder({ ...base, status: 'completed', config: { initial: true } })).toBe(true);
    expect(isSetupPlaceholder({ ...base, config: { source_path: '/docs' } })).toBe(false);
    expect(isSetupPlaceholder({ ...base, config: { initial: 'yes' } })).toBe(false);
    expect(isSetupPlaceholder(base)).toBe(false);
  });
});
