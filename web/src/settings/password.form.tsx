import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, errorMessage } from '../api/api.error';
import { tokenStore } from '../api/token.store';
import { changePassword } from '../auth/auth.api';
import { Button } from '../components/button';
import { FormError, TextField } from '../components/field';
import { useToast } from '../components/toast';

/** The server signs every session out on success (refresh tokens revoked), so this one signs in again too. */
export function ChangePasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const change = useMutation({
    mutationFn: () => changePassword(current, next),
    onSuccess: () => {
      tokenStore.clear();
      queryClient.clear();
      toast.success('Password changed. Sign in again with the new password.');
      navigate('/login', { replace: true });
    },
    onError: (caught) => {
      setError(errorMessage(caught));
      if (caught instanceof ApiError) setFieldErrors(caught.fieldErrors);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    const found: Record<string, string> = {};
    if (!current) found.current_password = 'Enter your current password.';
    if (next.length < 8) found.new_password = 'At least 8 characters.';
    setFieldErrors(found);
    if (Object.keys(found).length === 0) change.mutate();
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Change password" className="space-y-3">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <TextField label="Current password" type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} error={fieldErrors.current_password} />
        <TextField label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} error={fieldErrors.new_password} />
      </div>
      <FormError message={error} testId="password-change-error" />
      <Button type="submit" disabled={change.isPending} data-testid="password-change-submit">
        {change.isPending ? 'Changing…' : 'Change password'}
      </Button>
    </form>
  );
}
