// Every jaxpr built while the tests run is typechecked as it is made.
import { setJaxprChecks } from '../src/interpret/check'

setJaxprChecks(true)
