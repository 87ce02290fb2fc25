// The signed-in user's API tokens: a password change ends them all, so that form refreshes this list too.
export const tokensKey = ['auth', 'tokens'] as const;
