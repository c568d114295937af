import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CollectionSource } from '../api/api.types';
import { useToast } from '../components/toast';
import { collectionKeys, updateSource } from './collection.api';

/** Intervals offered in the UI; the API takes any 1..43200 minutes. */
const INTERVALS: { minutes: number | null; label: string }[] = [
  { minutes: null, label: 'Only when I click Sync' },
  { minutes: 15, label: 'Every 15 minutes' },
  { minutes: 60, label: 'Every hour' },
  { minutes: 1440, label: 'Every day' },
  { minutes: 10080, label: 'Every week' },
];

/** A source's sync schedule and folder watching, saved on change (PATCH …/sources/{id}). */
export function SourceSchedule({ collectionId, source }: { collectionId: string; source: CollectionSource }) {
  const queryClient = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: (changes: { sync_interval_minutes?: number | null; watch?: boolean }) => updateSource(collectionId, source.id, changes),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: collectionKeys.all });
      toast.success('Sync settings saved.');
    },
    onError: toast.error,
  });
  const current = source.sync_interval_minutes ?? null;
  const known = INTERVALS.some((i) => i.minutes === current);
  return (
    <div className="flex flex-wrap items-center gap-3 text-xs" data-testid="source-schedule">
      <label className="flex items-center gap-1">
        <span className="text-slate-500 dark:text-slate-400">Sync</span>
        <select
          aria-label={`Sync schedule for ${source.source_path}`}
          value={current === null ? '' : String(current)}
          disabled={save.isPending}
          onChange={(e) => save.mutate({ sync_interval_minutes: e.target.value === '' ? null : Number(e.target.value) })}
          className="rounded border border-slate-300 bg-transparent px-1 py-0.5 dark:border-slate-700"
        >
          {!known && <option value={String(current)}>Every {current} minutes</option>}
          {INTERVALS.map((i) => (
            <option key={i.label} value={i.minutes === null ? '' : String(i.minutes)}>
              {i.label}
            </option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1">
        <input
          type="checkbox"
          checked={source.watch === true}
          disabled={save.isPending}
          onChange={(e) => save.mutate({ watch: e.target.checked })}
          aria-label={`Watch ${source.source_path} for changes`}
        />
        <span>Watch folder for changes</span>
      </label>
      {source.next_sync_at && <span className="text-slate-500 dark:text-slate-400">next sync {new Date(source.next_sync_at).toLocaleString()}</span>}
    </div>
  );
}
