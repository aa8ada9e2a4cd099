"""What every app uses: mail, admin bases, private storage and generated file names, and the
ownership check behind every holder URL. It imports no app of ours and has no models."""
