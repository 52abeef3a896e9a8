# xs
