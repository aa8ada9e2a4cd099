"""What every app uses: mail, admin bases, private storage and generated file names, the
ownership check behind every holder URL and the middleware that keeps signed-in pages out of
caches. It imports no app of ours and has no models."""
