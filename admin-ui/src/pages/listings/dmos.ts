// The DMOs, for the DMO filter and names: GET /dmos answers {dmos: [...]}.
import { useQuery } from '@tanstack/react-query';
import type { DmoBody } from '@contract/sources';
import { api } from '../../app/api';

export type Dmo = DmoBody & { id: number };

export const useDmos = () =>
  useQuery({
    queryKey: ['dmos'],
    queryFn: async () => (await api.get<{ dmos: Dmo[] }>('/api/v1/pipeline/dmos')).dmos,
    staleTime: 60_000,
  });
