# pvback
