// Query keys of the listings pages: a change to a listing refreshes its detail and every list.
export const listingsKey = ['listings', 'list'] as const;
export const detailKey = (id: number) => ['listings', 'detail', id] as const;
